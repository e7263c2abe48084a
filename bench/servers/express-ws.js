// express 4 + express-ws, with cookie-parser and one auth middleware on the ws route.
// express-ws lets ws answer every upgrade with 101 first and only then runs the Express stack, so
// the auth middleware cannot send a real 401: its res.status(401) makes express-ws close the socket.
import http from 'node:http';
import cookieParser from 'cookie-parser';
import express from 'express';
import expressWs from 'express-ws';
import { listen } from './_harness.js';

const app = express();
const server = http.createServer(app);
expressWs(app, server);

app.use(cookieParser());

function requireSession(req, res, next) {
  if (req.cookies.sid) return next();
  res.status(401).json({ error: 'login required' });
}

app.use('/ws', requireSession);
app.ws('/ws', (ws) => {
  ws.on('error', () => {});
});

await listen(server);
