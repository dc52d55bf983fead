// The comment that marks a role or publication as made by this tool, so that compensation
// removes what the upgrade created and never what an operator had made before it.
export const OURS = 'created by rds-bluegreen for a blue/green upgrade';

export function isOurs(comment: string | null | undefined): boolean {
  return comment === OURS;
}
