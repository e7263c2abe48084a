/**
 * The store's Lua scripts. Each runs atomically in Redis, so a check and the write it decides cannot
 * interleave with another process's. Every time comes from Redis `TIME`, never from a Node clock:
 * processes whose clocks disagree still agree on when a lease expires.
 *
 * Leases: one sorted set per quota key, member = lease id, score = expiry (Redis ms). A member whose
 * expiry is not after now is dead: it is purged before the living are counted against the limit (ADMIT
 * does so only once the set, dead included, has reached the limit). The key's TTL is kept at least as long
 * as its latest expiry, so a key nobody uses any more disappears by itself.
 *
 * Rate limits: one sorted set per key, member = a unique attempt id, score = the attempt's time.
 *
 * Every key of one store carries the prefix's hash tag (`{wsgate}` by default), so that each script
 * touches a single slot: on a Redis Cluster, all of a store's keys live on one shard.
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
 * One call of the store's lane (call-queue.ts): leases to remove, then the limits of one or more handshakes,
 * each decided as if alone, in the order given. ARGV[1] is the number of leases to remove (r), ARGV[2] the
 * number of handshakes (groups), ARGV[3] leaseMs, ARGV[4 .. 3 + r] the leases' ids; then per group: its
 * number of rate limits, its number of quotas, a unique call id, each rate limit's limit and windowMs, each
 * quota's limit. KEYS are the r lease sets of the leases to remove, then, group after group, the attempt
 * sets of its rate limits and the lease sets of its quotas. Returns one verdict per group: {0} (every
 * attempt counted, one lease per quota added, its id `<call id>:<n>`), {1, i, retryAfterMs} (a rate limit
 * is spent: nothing written; i is the 0-based rate limit whose wait is the longest), or {2, i} (quota i is
 * full: the attempt is counted, no lease taken). A group sees what the removals and the groups before it
 * wrote, as separate calls would.
 *
 * Rate limits: an attempt at t is inside the window of now while now - t < windowMs. When `limit` attempts
 * are inside, the attempt at rank count - limit (oldest first) is the one whose leaving lets the next one
 * in: it leaves at its time + windowMs. Attempts older than it no longer matter and are trimmed, so a set
 * never holds more than `limit` members. Leases: admit below the limit with expiry now + leaseMs; the dead
 * are purged only when the set is full, since a set below the limit with them is below it without them.
 */
export const ADMIT = script(`${PRELUDE}
local removals, lease_ms = tonumber(ARGV[1]), tonumber(ARGV[3])
-- A number handed to redis.call is formatted (and Redis parses it back) on every call: the ones that every
-- handshake of the call shares are made strings once.
local now_s, expiry_s, cutoffs = tostring(now), tostring(now + lease_ms), {}
local hit_ids, lease_ids = {':h1', ':h2', ':h3', ':h4'}, {':1', ':2', ':3', ':4'}
for i = 1, removals do redis.call('ZREM', KEYS[i], ARGV[3 + i]) end
-- k and a: the KEYS and ARGV indexes just before the group's own.
local function admit(k, a, hits, leases, call)
  local wait, spent = -1, 0
  for i = 1, hits do
    local key, limit, window_ms = KEYS[k + i], tonumber(ARGV[a + 2 * i - 1]), tonumber(ARGV[a + 2 * i])
    local cutoff = cutoffs[window_ms]
    if cutoff == nil then
      cutoff = tostring(now - window_ms)
      cutoffs[window_ms] = cutoff
    end
    redis.call('ZREMRANGEBYSCORE', key, '-inf', cutoff)
    local count = redis.call('ZCARD', key)
    if count >= limit then
      local decisive = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
      if count > limit then redis.call('ZREMRANGEBYRANK', key, 0, count - limit - 1) end
      local after = tonumber(decisive[2]) + window_ms - now
      if after > wait then wait, spent = after, i end
    end
  end
  if spent > 0 then return {1, spent - 1, wait} end
  for i = 1, hits do
    redis.call('ZADD', KEYS[k + i], now_s, call .. (hit_ids[i] or ':h' .. i))
    keep_for(KEYS[k + i], tonumber(ARGV[a + 2 * i]))
  end
  -- The dead are purged only from a full set: below the limit with them, it is below without them too.
  local fresh = {}
  for j = 1, leases do
    local key, limit = KEYS[k + hits + j], tonumber(ARGV[a + 2 * hits + j])
    local count = redis.call('ZCARD', key)
    if count >= limit then
      redis.call('ZREMRANGEBYSCORE', key, '-inf', now_s)
      if redis.call('ZCARD', key) >= limit then return {2, j - 1} end
    end
    fresh[j] = count == 0 -- no such key: its first lease sets its TTL, no PTTL needed
  end
  for j = 1, leases do
    local key = KEYS[k + hits + j]
    redis.call('ZADD', key, expiry_s, call .. (lease_ids[j] or ':' .. j))
    if fresh[j] then redis.call('PEXPIRE', key, ARGV[3]) else keep_for(key, lease_ms) end
  end
  return {0}
end
local verdicts, k, a = {}, removals, 3 + removals
for g = 1, tonumber(ARGV[2]) do
  local hits, leases, call = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), ARGV[a + 3]
  a = a + 3
  verdicts[g] = admit(k, a, hits, leases, call)
  k, a = k + hits + leases, a + 2 * hits + leases
end
return verdicts
`);

/**
 * KEYS[i] the lease set of the i-th lease; ARGV[1] leaseMs, ARGV[2] '1' to keep leases over their limit,
 * then each lease's id and limit. Every lease this process holds belongs to a connection that is still
 * open: a live one is renewed to now + leaseMs. One Redis no longer has alive (Redis restarted without
 * persistence, this process stalled or was cut off past leaseMs, or this renewal itself was held up in a
 * partition and runs only now) is put back if its key has room: a quota counts open connections, and one
 * that Redis forgot would otherwise count nowhere for as long as it stays open. When others took its slot
 * meanwhile, it is put back anyway if ARGV[2] is '1' (the key then stands above its limit until enough
 * close), else left out: its connection no longer counts and its holder closes it.
 * Returns {restored, lost, over}: 1-based indexes of the leases put back within the limit, left out, and
 * put back over it.
 */
export const RENEW = script(`${PRELUDE}
local lease_ms, keep = tonumber(ARGV[1]), ARGV[2] == '1'
local restored, lost, over, kept = {}, {}, {}, {}
for i, key in ipairs(KEYS) do
  local id, limit = ARGV[1 + 2 * i], tonumber(ARGV[2 + 2 * i])
  local expiry = tonumber(redis.call('ZSCORE', key, id))
  if expiry and expiry > now then
    redis.call('ZADD', key, now + lease_ms, id)
  else
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
    if redis.call('ZCARD', key) < limit then
      redis.call('ZADD', key, now + lease_ms, id)
      restored[#restored + 1] = i
    elseif keep then
      redis.call('ZADD', key, now + lease_ms, id)
      over[#over + 1] = i
    else
      lost[#lost + 1] = i
    end
  end
  if not kept[key] then
    keep_for(key, lease_ms)
    kept[key] = true
  end
end
return {restored, lost, over}
`);
