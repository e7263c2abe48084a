/**
 * The store's Lua scripts. Each runs atomically in Redis, so a check and the write it decides cannot
 * interleave with another process's. Every time comes from Redis `TIME`, never from a Node clock:
 * processes whose clocks disagree still agree on when a lease expires.
 *
 * Leases: one sorted set per quota key, member = lease id, score = expiry (Redis ms). A member whose
 * expiry is not after now is dead and is purged before counting. The key's TTL is kept at least as long
 * as its latest expiry, so a key nobody uses any more disappears by itself.
 *
 * Rate limits: one sorted set per key, member = a unique attempt id, score = the attempt's time.
 */

import { createHash } from 'node:crypto';

export interface Script {
  readonly body: string;
  /** SHA1 of the body: the name EVALSHA knows it by, computed here rather than asked from Redis. */
  readonly sha: string;
}

function script(body: string): Script {
  return { body, sha: createHash('sha1').update(body).digest('hex') };
}

// Before Redis 5 a script must ask for effects replication before writing after TIME (which is not
// deterministic); from Redis 5 on that is the default and the call a no-op.
const PRELUDE = `
if redis.replicate_commands then redis.replicate_commands() end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local function keep_for(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
`;

/**
 * KEYS[1] the lease set; ARGV limit, leaseMs, lease id. Returns 1 (granted) or 0 (full).
 * Purge the dead, count the living, admit below the limit with expiry now + leaseMs.
 */
export const ACQUIRE = script(`${PRELUDE}
local key, limit, lease_ms, id = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
if redis.call('ZCARD', key) >= limit then return 0 end
redis.call('ZADD', key, now + lease_ms, id)
keep_for(key, lease_ms)
return 1
`);

/**
 * KEYS[i] the lease set of the i-th lease; ARGV[1] leaseMs, ARGV[i + 1] the i-th lease id.
 * Every lease this process holds belongs to a connection that is still open, so every one is renewed
 * to now + leaseMs, and put back if Redis no longer has it alive (Redis restarted without persistence,
 * or this process stalled past leaseMs): a quota counts open connections, and one that Redis forgot
 * would otherwise count nowhere for as long as it stays open. Put back regardless of the limit, so a
 * key may stand above it for a while; ACQUIRE then admits nobody until it is below again.
 * Returns the indexes (1-based) of the leases put back.
 */
export const RENEW = script(`${PRELUDE}
local lease_ms = tonumber(ARGV[1])
local restored, kept = {}, {}
for i, key in ipairs(KEYS) do
  local id = ARGV[i + 1]
  local expiry = tonumber(redis.call('ZSCORE', key, id))
  if not expiry or expiry <= now then restored[#restored + 1] = i end
  redis.call('ZADD', key, now + lease_ms, id)
  if not kept[key] then
    keep_for(key, lease_ms)
    kept[key] = true
  end
end
return restored
`);

/**
 * KEYS[1] the attempt set; ARGV limit, windowMs, attempt id. Returns {1, 0} when allowed (and
 * recorded), {0, retryAfterMs} when refused (not recorded).
 * An attempt at t is inside the window of now while now - t < windowMs. When `limit` attempts are
 * inside, the attempt at rank count - limit (oldest first) is the one whose leaving lets the next one
 * in: it leaves at its time + windowMs. Attempts older than it no longer matter and are trimmed, so a
 * set never holds more than `limit` members.
 */
export const HIT = script(`${PRELUDE}
local key, limit, window_ms, id = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window_ms)
local count = redis.call('ZCARD', key)
if count >= limit then
  local decisive = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  if count > limit then redis.call('ZREMRANGEBYRANK', key, 0, count - limit - 1) end
  return {0, tonumber(decisive[2]) + window_ms - now}
end
redis.call('ZADD', key, now, id)
keep_for(key, window_ms)
return {1, 0}
`);
