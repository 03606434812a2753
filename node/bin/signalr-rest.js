#!/usr/bin/env node
'use strict';
// `npx signalr-rest serve [options]`: lib/cli.js.

require('../lib/cli')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
