// Envelope encryption of the secrets the server must read back (git credentials now; env
// vars and certificate keys later): each value under its own random data key (AES-256-GCM),
// each data key under the key-encryption key in <dataDir>/secret.key (0600, never shown to
// a sandbox). Plaintext exists only in the process that needs it, for as long as it does.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";

export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

const VERSION = "v1";
export const KEY_FILE = "secret.key";

export function openSecretBox(dataDir: string): SecretBox {
  const kek = keyEncryptionKey(join(dataDir, KEY_FILE));
  return {
    seal(plaintext) {
      const dek = randomBytes(32);
      const value = encrypt(dek, Buffer.from(plaintext, "utf8"));
      const wrapped = encrypt(kek, dek);
      return [VERSION, wrapped.toString("base64url"), value.toString("base64url")].join(".");
    },
    open(sealed) {
      const [version, wrapped, value] = sealed.split(".");
      if (version !== VERSION || !wrapped || !value) throw new Error("not a sealed secret of this server");
      const dek = decrypt(kek, Buffer.from(wrapped, "base64url"));
      return decrypt(dek, Buffer.from(value, "base64url")).toString("utf8");
    },
  };
}

function keyEncryptionKey(file: string): Buffer {
  if (!existsSync(file)) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, randomBytes(32));
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err; // another start made it first
    }
  }
  const key = readFileSync(file);
  if (key.length !== 32) throw new Error(`${file} is not a 32-byte key`);
  return key;
}

/** iv (12) ‖ tag (16) ‖ ciphertext */
function encrypt(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function decrypt(key: Buffer, box: Buffer): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, box.subarray(0, 12));
  decipher.setAuthTag(box.subarray(12, 28));
  return Buffer.concat([decipher.update(box.subarray(28)), decipher.final()]);
}
