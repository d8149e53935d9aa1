// The generated TypeScript client names the DOM's `BodyInit`; Bun's types (no "dom" lib in
// tsconfig.json) call it `Bun.BodyInit`. Code that compiles clients/typescript references this file.
type BodyInit = Bun.BodyInit
