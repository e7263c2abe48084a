// Must fail (see ../node-test.test.ts): under node:test a failed expectation is a failed test, with the
// server's whole answer in the report.
import { afterEach, it } from 'node:test';
import { wsgate } from '@wsgate/express';
import express from 'express';
import { closeAll, expectHandshake } from '../../src/index.js';

const app = wsgate(express());
app.ws(
  '/chat',
  (_req, res) => void res.status(401).json({ error: 'login required' }),
  () => {},
);

afterEach(closeAll);

it('expects 403 where the app answers 401', async () => {
  await expectHandshake(app, '/chat').toBeRefused(403);
});
