/** The JSON-lines logger: `time` and `level` first, then the fields, one object per line. */
import { expect, test } from 'bun:test'
import { createLogger } from '../../src/core/log'

const capture = () => {
  const chunks: string[] = []
  const logger = createLogger('info', (chunk) => chunks.push(chunk))
  const lines = () => {
    logger.flush()
    return chunks.join('').split('\n').filter(Boolean)
  }
  return { logger, lines }
}

test('each line is one JSON object: time, level, then the fields in their order', () => {
  const { logger, lines } = capture()
  logger.line('info', {
    reqId: 'a "quoted" id',
    method: 'GET',
    path: '/x\n',
    status: 200,
    skipped: undefined,
  })
  logger.info('hello', { n: 1 })
  logger.line('info', {})
  logger.debug('dropped below the level')
  const [access, info, bare, ...more] = lines().map((l) => JSON.parse(l))
  expect(more).toEqual([])
  expect(Object.keys(access)).toEqual(['time', 'level', 'reqId', 'method', 'path', 'status'])
  expect(access).toMatchObject({ level: 'info', reqId: 'a "quoted" id', path: '/x\n', status: 200 })
  expect(new Date(access.time).toISOString()).toBe(access.time)
  expect(info).toEqual({ time: expect.any(String), level: 'info', msg: 'hello', n: 1 })
  expect(Object.keys(bare)).toEqual(['time', 'level'])
})

test('an error field is written with its name, message, stack and cause', () => {
  const { logger, lines } = capture()
  logger.error('failed', { err: new TypeError('outer', { cause: new Error('inner') }) })
  const [line] = lines().map((l) => JSON.parse(l))
  expect(line.err).toMatchObject({
    name: 'TypeError',
    message: 'outer',
    cause: { name: 'Error', message: 'inner' },
  })
  expect(line.err.stack).toContain('outer')
})
