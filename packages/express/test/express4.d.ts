// The `express4` devDependency is `npm:express@^4`; its tests use Express 5's types, which fit the API they use.
declare module 'express4' {
  import express = require('express');
  export = express;
}
