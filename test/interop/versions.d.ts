// Express 4 and Koa 2 runtimes, installed as the `express4` and `koa2` aliases, typed with the current
// versions' types, which fit the API these tests use.
declare module 'express4' {
  import express = require('express');
  export = express;
}
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
