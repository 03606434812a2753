'use strict';
// @ts-check
// The loaded native addon, shared by the wrapper modules. Its types are lib/addon.d.ts, which
// `napi build --dts` writes from the Rust sources (scripts/build-native.js).

module.exports = require('./native').loadNative();
