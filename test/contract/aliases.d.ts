// Express 4 and Koa 2 are installed as the `express4` and `koa2` aliases (npm:express@^4, npm:koa@^2), typed
// with the current majors' types, which fit the API the contract app uses.
declare module 'express4' {
  import express = require('express');
  export = express;
}
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
