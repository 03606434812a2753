'use strict';
// The loaded native addon, shared by the wrapper modules.

module.exports = require('./native').loadNative();
