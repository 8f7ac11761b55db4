// Reading files of a tree someone else controls (a tenant's build output, a repository):
// never through a link, never from a FIFO or device (an open would block the reader, or
// never end), and never more than asked for. Node-only.
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

export class NotRegularFileError extends Error {
  readonly code = "ENOTREG";
}

/** Opens `file` for reading if it is a regular file and not a link; otherwise throws. */
export async function openRegular(file: string): Promise<FileHandle> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    if ((await handle.stat()).isFile()) return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
  await handle.close();
  throw new NotRegularFileError(`${file} is not a regular file`);
}

/** The text of a small regular file; undefined when there is none. Throws for a link, a special file or one over `maxBytes`. */
export async function readRegularText(file: string, maxBytes: number): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    handle = await openRegular(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    if ((await handle.stat()).size > maxBytes)
      throw new NotRegularFileError(`${file} is larger than ${maxBytes} bytes`);
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}
