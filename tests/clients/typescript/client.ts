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
  await client.GET("/balance", { params: { query: { address } } });
  await client.GET("/buy", { params: { query: { address } } });
  await client.GET("/address", { params: { query: { address } } });
  await client.GET("/query", { params: { query: { query: "jobs" } } });
  await client.GET("/bitcoin", { params: { query: { query: "getblockcount" } } });

  // The error code is the contract's enum, not any string.
  const replayed: ErrorCode = "replayed";
  // @ts-expect-error: not one of the contract's codes
  const invented: ErrorCode = "no_such_code";
  // @ts-expect-error: no such route
  await client.GET("/no-such-route");
  return [replayed, invented];
}
