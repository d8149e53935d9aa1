/**
 * HTML built with escaping by default: every value put into an `html` template is escaped unless
 * it is itself `html`. Hand-written (about twenty lines) rather than taken from a JSX runtime such
 * as @kitajs/html, which would change the project's tsconfig for three small pages, or from
 * escape-html, which escapes but leaves the "did I escape this one?" question to every call site.
 */

/** Markup that is safe to insert as it is. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** Escapes text for an element's content or a quoted attribute value. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)

type Value = Html | string | number | boolean | null | undefined | Value[]

function render(value: Value): string {
  if (value instanceof Html) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  // `false`, null and undefined render nothing, so that `${error && html`...`}` reads naturally.
  if (value === null || value === undefined || value === false) return ''
  return escapeHtml(String(value))
}

/** A template whose values are escaped (strings) or inserted (`Html`, arrays of them). */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? ''
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '')
  })
  return new Html(out)
}
