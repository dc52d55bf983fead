#!/usr/bin/env node
// The bluegreen command: runs the TypeScript CLI through tsx, so that no build step is needed.
'use strict';
require('tsx/cjs');
require('./main.ts').run(process.argv.slice(2));
