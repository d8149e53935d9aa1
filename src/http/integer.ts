import { type IntegerOptions, Type } from '@sinclair/typebox'

/**
 * An integer in a response body. Elysia's `t.Integer` also accepts a numeric string and turns it
 * into a number, for query strings and form fields; that makes it a TypeBox transform, and one
 * transform anywhere in a response schema makes Elysia check every response of that status with
 * TypeBox's interpreted `Encode` (a walk of the schema per value) instead of the compiled `Check`.
 * The service writes its responses itself and never needs that coercion, so responses use
 * TypeBox's plain integer: on `GET /products?limit=20` that was most of the request's time
 * (issue #15). Requests keep `t.Integer`.
 */
export const Integer = (options?: IntegerOptions) => Type.Integer(options)
