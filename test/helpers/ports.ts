// A free TCP port on loopback, for processes that must be told their port up front (the CLI tools' own helper).
export { freePort } from '../../server/cli/local-probes.ts';
