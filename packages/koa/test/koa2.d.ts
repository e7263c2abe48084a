// The Koa 2 runtime, installed as the `koa2` alias, typed with Koa's own (compatible) types.
declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
