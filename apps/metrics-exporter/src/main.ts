#!/usr/bin/env node
import { runMetricsExporter } from './cli.js';

process.exitCode = await runMetricsExporter(process.argv.slice(2));
