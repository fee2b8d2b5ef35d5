/** A layer (or any) name as a file-name part: graph node names carry '/' and ':'. Shared by the CLI (writing) and the web app (finding report files). */
export function fileStem(name: string): string {
  return name.replace(/[^\w.+-]+/g, '_');
}
