// Verifies one webhook delivery with implementations that share no code with
// ours: the Standard Webhooks reference library (npm standardwebhooks) and
// node's own HMAC for X-Affonso-Signature.
//
// stdin: {"secret": "whsec_...", "body": "...", "headers": {"webhook-id": ...,
//   "webhook-timestamp": ..., "webhook-signature": ..., "x-affonso-signature": ...}}
// stdout: "ok", or what failed (exit status 1). Exit status 2: the verifier
// itself cannot run (`npm ci` not done here), which is not a verdict.
"use strict";

const crypto = require("crypto");

let Webhook;
try {
  ({ Webhook } = require("standardwebhooks"));
} catch (e) {
  console.log(`cannot load standardwebhooks (run npm ci in ${__dirname}): ${e.message}`);
  process.exit(2);
}

function verifyAffonso(secret, body, headers) {
  const header = headers["x-affonso-signature"];
  if (typeof header !== "string") throw new Error("x-affonso-signature: missing");
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) throw new Error(`x-affonso-signature: malformed: ${header}`);
  const [, timestamp, signature] = match;
  if (timestamp !== headers["webhook-timestamp"]) {
    throw new Error("x-affonso-signature: t differs from webhook-timestamp");
  }
  const expected = crypto.createHmac("sha256", Buffer.from(secret, "utf8"))
    .update(`${timestamp}.${body}`, "utf8").digest();
  if (!crypto.timingSafeEqual(expected, Buffer.from(signature, "hex"))) {
    throw new Error("x-affonso-signature: no match");
  }
}

function main(input) {
  const { secret, body, headers } = JSON.parse(input);
  try {
    new Webhook(secret).verify(body, headers);
  } catch (e) {
    throw new Error(`webhook-signature: ${e.message}`);
  }
  verifyAffonso(secret, body, headers);
}

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  try {
    main(Buffer.concat(chunks).toString("utf8"));
    console.log("ok");
  } catch (e) {
    console.log(e.message);
    process.exitCode = 1;
  }
});
