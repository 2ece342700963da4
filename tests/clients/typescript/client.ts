// A TypeScript client of Causeway: openapi-fetch over the types openapi-typescript generates
// from openapi/causeway.json (generated/schema.d.ts). `tsc` type-checks it in
// scripts/check-openapi.sh; each call below must type-check as a client would write it, and
// each @ts-expect-error must be an error, or the document lost what it promises.
import createClient from "openapi-fetch";
import type { components, paths } from "../generated/schema";

type ErrorCode = components["schemas"]["ErrorCode"];

export async function walkThrough(baseUrl: string, address: string, sign: (m: string) => string) {
  const client = createClient<paths>({ baseUrl });

  await client.GET("/request", { params: { query: { owner: address, contact: "me@example.org" } } });
  const { data: nonceReply } = await client.GET("/nonce", { params: { query: { address } } });
  const nonce: string = nonceReply?.nonce ?? "";

  const key = "profile";
  const value = "hello rein";
  const put = await client.POST("/put", {
    body: { key, value, address, nonce, signature: sign(key + value + address + nonce) },
  });
  if (put.data) {
    const free: number = put.data.bytes_free;
    void free;
  }
  if (put.error) {
    const code: ErrorCode = put.error.code;
    void code;
  }

  const read = await client.GET("/get", {
    params: { query: { key }, header: { "If-None-Match": "\"etag\"", "X-Request-Id": "walk-1" } },
  });
  const stored: string | undefined = read.data?.value;
  void stored;

  await client.POST("/delete", {
    body: { key, address, nonce, signature: sign(key + address + nonce) },
  });
  await client.GET("/price");
  await client.GET("/status");
  await client.GET("/help");
  await client.GET("/info");
  await client.GET("/");
  const balanceNonce = nonce;
  await client.GET("/balance", {
    params: { query: { address, nonce: balanceNonce, signature: sign(address + balanceNonce) } },
  });
  await client.GET("/buy", { params: { query: { address } } });
  await client.GET("/address", {
    params: { query: { address, contact: "me@example.org", signature: sign("me@example.org" + address) } },
  });
  await client.GET("/query", { params: { query: { owner: address, query: "jobs" } } });
  await client.GET("/bitcoin", { params: { query: { owner: address, query: "getbydepth", depth: "1" } } });

  // The Rein client's shape: an owner and the delegate that signs for it.
  const delegate = address;
  await client.POST("/put", {
    body: {
      key, value, owner: address, signature_address: delegate, nonce,
      signature: sign(key + value + delegate + nonce),
    },
  });
  // Required parameters and body fields are required.
  // @ts-expect-error: /get needs its key
  await client.GET("/get", { params: { query: {} } });
  // @ts-expect-error: a put body is a whole shape, signature included
  await client.POST("/put", { body: { key, value, address, nonce } });

  // The error code is the contract's enum, not any string.
  const replayed: ErrorCode = "replayed";
  // @ts-expect-error: not one of the contract's codes
  const invented: ErrorCode = "no_such_code";
  // @ts-expect-error: no such route
  await client.GET("/no-such-route");
  return [replayed, invented];
}
