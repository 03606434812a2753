'use strict';
// `npm pack` cleanup: removes the Rust sources prepack.js copied in.

const fs = require('node:fs');
const path = require('node:path');

fs.rmSync(path.join(__dirname, '..', 'rust'), { recursive: true, force: true });
