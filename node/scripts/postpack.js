'use strict';
// `npm pack` cleanup: removes the Rust sources and the LICENSE prepack.js copied in.

const fs = require('node:fs');
const path = require('node:path');

fs.rmSync(path.join(__dirname, '..', 'rust'), { recursive: true, force: true });
fs.rmSync(path.join(__dirname, '..', 'LICENSE'), { force: true });
