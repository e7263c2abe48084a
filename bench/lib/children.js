// Child processes of the runner: tracked, always killed when the runner ends for any reason, and a
// request/reply helper over their IPC channels.

import { log } from './log.js';

const children = new Set();

export function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
}

/** SIGTERM, then SIGKILL after 2 s; resolves once the child has exited. */
export async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(t);
}

/** Nothing outlives the runner: not a signal, not a crash, not a watchdog. */
export function killChildrenOnExit(watchdogMs) {
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      log(`\n${sig}: stopping`);
      killAll();
      process.exit(130);
    });
  }
  for (const ev of ['uncaughtException', 'unhandledRejection']) {
    process.on(ev, (err) => {
      console.error(`bench: ${err?.stack || err}`);
      killAll();
      process.exit(1);
    });
  }
  setTimeout(() => {
    console.error(`bench: watchdog: still running after ${watchdogMs / 1000} s, giving up`);
    killAll();
    process.exit(1);
  }, watchdogMs).unref();
}

/** Request/response over a child's IPC channel, matched by id; rejects on exit, error reply or timeout. */
let nextId = 1;
export function request(child, msg, replyType, timeoutMs) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.removeListener('message', onMessage);
      child.removeListener('exit', onExit);
    };
    const onMessage = (m) => {
      if (!m || m.id !== id) return;
      cleanup();
      if (m.type === replyType) resolve(m);
      else reject(new Error(m.error || `unexpected reply ${m.type}`));
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`process exited (${code ?? signal}) during ${msg.type}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${replyType} reply within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send({ ...msg, id });
  });
}
