import { describe, expect, test } from 'bun:test'
import type { Client } from './support/app'
import { useFixture } from './support/fixture'

/**
 * Issue #9, defect 4: the work a body costs is bounded before validation. A body nested deeper than
 * 32 levels, with more than 64 items in one object, array or form, or a string over 4096 characters
 * is a 400 (an OAuth2 invalid_request on the token routes), decided by one scan of its text; within
 * those bounds the validator still names each bad field (422).
 */

const members = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(',')}}`
const json = { 'content-type': 'application/json' }
const form = { 'content-type': 'application/x-www-form-urlencoded' }

describe('body shape limits', () => {
  const ctx = useFixture('sqlite', { accounts: { user: 'user' } })

  const expect400 = (reply: Awaited<ReturnType<Client['post']>>, detail: RegExp) => {
    expect(reply.status).toBe(400)
    expect(reply.headers.get('content-type')).toBe('application/problem+json')
    expect(reply.body.detail).toMatch(detail)
  }

  test('more than 64 members in an object is a 400, 64 are read and validated (422)', async () => {
    expect400(
      await ctx.client.post('/auth/register', { body: members(65), headers: json }),
      /more than 64 items/,
    )
    const read = await ctx.client.post('/auth/register', { body: members(64), headers: json })
    expect(read.status).toBe(422)
  })

  test('a nested object counts its own members', async () => {
    const body = `{"name":"x","price":1,"tags":${members(65)}}`
    expect400(
      await ctx.client.post('/products', { body, headers: json, token: ctx.user.token }),
      /more than 64 items/,
    )
  })

  test('more than 64 elements in an array is a 400; 21 to 64 tags are a 422 at /tags', async () => {
    const tags = (n: number) => JSON.stringify({ name: 'x', price: 1, tags: Array(n).fill('t') })
    expect400(
      await ctx.client.post('/products', { body: tags(65), headers: json, token: ctx.user.token }),
      /more than 64 items/,
    )
    const many = await ctx.client.post('/products', { body: tags(64), headers: json, token: ctx.user.token })
    expect(many.status).toBe(422)
    expect(many.body.errors).toContainEqual(expect.objectContaining({ pointer: '/tags' }))
  })

  test('a string over 4096 characters is a 400; up to that the field rule answers (422)', async () => {
    const product = (description: string) => JSON.stringify({ name: 'x', price: 1, description })
    expect400(
      await ctx.client.post('/products', {
        body: product('d'.repeat(4097)),
        headers: json,
        token: ctx.user.token,
      }),
      /string longer than 4096/,
    )
    const long = await ctx.client.post('/products', {
      body: product('d'.repeat(4096)),
      headers: json,
      token: ctx.user.token,
    })
    expect(long.status).toBe(422)
    expect(long.body.errors).toContainEqual(expect.objectContaining({ pointer: '/description' }))
  })

  test('string lengths count characters, not escapes: 4096 escaped characters pass the scan', async () => {
    const body = `{"name":"x","price":1,"description":"${'\\u00e9'.repeat(4096)}"}`
    const reply = await ctx.client.post('/products', { body, headers: json, token: ctx.user.token })
    expect(reply.status).toBe(422)
    const over = `{"name":"x","price":1,"description":"${'\\n'.repeat(4097)}"}`
    expect400(
      await ctx.client.post('/products', { body: over, headers: json, token: ctx.user.token }),
      /string longer/,
    )
  })

  test('member names are strings too', async () => {
    expect400(
      await ctx.client.post('/auth/register', { body: `{"${'k'.repeat(4097)}":1}`, headers: json }),
      /string longer than 4096/,
    )
  })

  test('nesting deeper than 32 levels is a 400; 32 levels are parsed', async () => {
    const nested = (depth: number) => `{"username":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`
    expect400(await ctx.client.post('/auth/register', { body: nested(33), headers: json }), /deeper than 32/)
    expect((await ctx.client.post('/auth/register', { body: nested(32), headers: json })).status).toBe(422)
  })

  test('brackets, commas and quotes inside strings do not count', async () => {
    const body = JSON.stringify({ name: `${'[{,'.repeat(60)}\\"`, price: 1, tags: ['a,b,c'] })
    const reply = await ctx.client.post('/products', { body, headers: json, token: ctx.user.token })
    expect(reply.status).toBe(201)
  })

  test('an escaped lone surrogate is a 400; an escaped pair is a character', async () => {
    for (const lone of ['\\ud800', '\\udc00', '\\ud800x', '\\ud800\\u0041']) {
      const body = `{"name":"a${lone}","price":1}`
      expect400(
        await ctx.client.post('/products', { body, headers: json, token: ctx.user.token }),
        /lone UTF-16 surrogate/,
      )
    }
    const pair = await ctx.client.post('/products', {
      body: '{"name":"\\ud83d\\ude00","price":1}',
      headers: json,
      token: ctx.user.token,
    })
    expect(pair.status).toBe(201)
    expect(pair.body.name).toBe('😀')
  })

  test('the shape is checked before the token: an anonymous hostile body is a 400, not parsed', async () => {
    expect400(await ctx.client.post('/products', { body: members(500), headers: json }), /more than 64 items/)
  })

  test('on the token routes a hostile shape is an OAuth2 invalid_request', async () => {
    for (const body of [members(65), `{"username":"${'u'.repeat(5000)}"}`, `{"a":${'['.repeat(40)}}`]) {
      const reply = await ctx.client.post('/auth/login', { body, headers: json })
      expect(reply.status).toBe(400)
      expect(reply.body.error).toBe('invalid_request')
    }
  })

  test('a form with more than 64 fields, or a field over 4096 characters, is invalid_request', async () => {
    const many = Array.from({ length: 65 }, (_, i) => `k${i}=0`).join('&')
    const long = `grant_type=password&username=a&password=${'p'.repeat(4097)}`
    for (const body of [many, long]) {
      const reply = await ctx.client.post('/auth/login', { body, headers: form })
      expect(reply.status).toBe(400)
      expect(reply.body).toMatchObject({ error: 'invalid_request' })
      expect(reply.body.error_description).toMatch(/more than 64 fields|longer than 4096/)
    }
  })
})
