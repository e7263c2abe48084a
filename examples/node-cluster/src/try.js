// Opens connections as one user against a running server (URL, default ws://127.0.0.1:3000) and prints how
// each handshake ended: PER_USER of them are accepted, by whichever workers, and the rest refused with 429.
// `node src/try.js [user] [count]`; the connections stay open until every handshake is done.
import WebSocket from 'ws';

const base = process.env.URL || 'ws://127.0.0.1:3000';
const user = process.argv[2] || 'ada';
const count = Number(process.argv[3] || 3);

function attempt(n) {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${base}/chat?user=${encodeURIComponent(user)}`);
    socket.once('message', (data) => resolve({ socket, line: `${user} #${n}: 101, ${data}` }));
    socket.once('unexpected-response', (_request, response) => {
      const code = response.headers['wsgate-code'];
      const retry = response.headers['retry-after'];
      resolve({ line: `${user} #${n}: ${response.statusCode} ${code}${retry ? `, Retry-After: ${retry}` : ''}` });
      socket.terminate();
    });
    socket.once('error', (error) => resolve({ line: `${user} #${n}: ${error.message}` }));
  });
}

const results = [];
for (let n = 1; n <= count; n++) results.push(await attempt(n)); // one after another: the order is the quota's
for (const { line } of results) console.log(line);
for (const { socket } of results) socket?.close();
