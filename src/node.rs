//! One broker node: configuration, storage, server and runtime wired together.
