// express 4 (the one express-ws runs on) + @wsgate/express, with the same app work as express-ws: cookie-parser and one auth
// middleware on the ws route — here a real 401 before any 101.
import http from 'node:http';
import { wsgate } from '@wsgate/express';
import cookieParser from 'cookie-parser';
import express from 'express';
import { listen } from './_harness.js';

const app = wsgate(express(), { maxPending: 4096 });
app.use(cookieParser());

function requireSession(req, res, next) {
  if (req.cookies.sid) return next();
  res.status(401).json({ error: 'login required' });
}

app.ws('/ws', requireSession, (ws) => {
  ws.on('error', () => {});
});

const server = app.wsgate.attach(http.createServer(app));
await listen(server);
