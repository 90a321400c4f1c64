import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');

/**
 * ONNX Runtime's telemetry (Linux, 1.30) matches /proc/self/cmdline with a recursive std::regex
 * (up to its first newline): a process with a long command line died with SIGSEGV when its first
 * session was created. The runtime turns that telemetry off before loading onnxruntime-node.
 */
describe('onnxruntime-node under a long command line', () => {
	it('creates a session in a process whose arguments are 40 KB long', function () {
		this.timeout(60000);
		// One line: the regex stops at the first newline of the command line.
		const script = [
			"require('./extension/runtime/onnxRuntime').loadOnnxRuntime()",
			".then((ort) => ort.InferenceSession.create('models/longrope-tiny/model.onnx'))",
			".then((session) => console.log('inputs', session.inputNames.length));",
		].join('');
		const env = { ...process.env };
		delete env.ORT_DISABLE_TELEMETRY;
		const run = spawnSync(
			process.execPath,
			['-r', 'esbuild-register', '-e', script, 'a'.repeat(40000)],
			{ cwd: ROOT, encoding: 'utf8', env },
		);
		assert.equal(run.signal, null, `killed by ${run.signal}`);
		assert.equal(run.status, 0, run.stderr);
		assert.match(run.stdout, /^inputs \d+/);
	});
});
