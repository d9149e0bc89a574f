// `edgeline bench` (npm run bench): the edge with its shipped defaults against nginx, Varnish and a node:http ceiling.
export { main as run } from './run.ts';
