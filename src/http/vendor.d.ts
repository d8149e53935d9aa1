// Files of the docs pages, imported `with { type: 'file' }`: the import is a path, and
// `bun build --compile` embeds the file into the executable.
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const path: string
  export default path
}
declare module 'swagger-ui-dist/swagger-ui.css' {
  const path: string
  export default path
}
declare module 'redoc/bundles/redoc.standalone.js' {
  const path: string
  export default path
}
declare module 'swagger-ui-dist/oauth2-redirect.html' {
  const path: string
  export default path
}
declare module 'swagger-ui-dist/oauth2-redirect.js' {
  const path: string
  export default path
}
