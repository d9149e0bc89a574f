// Placeholder until the command lands; replaced by its real module.
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('edgeline edge: not available yet\n');
  return 1;
}
