import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';

export const ARTIFACTS = path.resolve(__dirname, '../../test-results/e2e');

export async function screenshot(page: Page, name: string): Promise<string> {
	mkdirSync(ARTIFACTS, { recursive: true });
	const file = path.join(ARTIFACTS, `${name}.png`);
	await page.screenshot({ path: file });
	return file;
}

export async function waitForWorkbench(page: Page): Promise<void> {
	await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
	await page.waitForSelector('.statusbar', { timeout: 60_000 });
}

/**
 * Runs a command from the palette by its title, as a user types it. Right after the window
 * opens, the palette may not list extension commands yet: it is closed and opened again.
 */
export async function runCommand(page: Page, title: string, attempts = 6): Promise<void> {
	for (let attempt = 1; ; attempt++) {
		await page.keyboard.press('F1');
		const input = page.locator('.quick-input-widget input');
		await input.waitFor({ state: 'visible', timeout: 20_000 });
		await input.fill(`>${title}`);
		const row = page
			.locator('.quick-input-list .monaco-list-row')
			.filter({ hasText: title })
			.first();
		try {
			await row.waitFor({ state: 'visible', timeout: 5_000 });
			await row.click();
			return;
		} catch (error) {
			await page.keyboard.press('Escape');
			if (attempt >= attempts) throw error;
			await page.waitForTimeout(2_000);
		}
	}
}

/** Opens a workspace file with Quick Open. */
export async function openFile(page: Page, relativePath: string): Promise<void> {
	await page.keyboard.press('Control+P');
	const input = page.locator('.quick-input-widget input');
	await input.waitFor({ state: 'visible', timeout: 20_000 });
	await input.fill(relativePath);
	const row = page.locator('.quick-input-list .monaco-list-row').first();
	await row.waitFor({ state: 'visible', timeout: 20_000 });
	await page.keyboard.press('Enter');
	await page
		.locator('.tab.active')
		.filter({ hasText: path.basename(relativePath) })
		.waitFor({ timeout: 20_000 });
}

/** The frame of one of the extension's webviews (the inner frame that holds our page). */
export async function viewFrame(
	page: Page,
	view: 'chat' | 'diagnostics',
	timeoutMs = 60_000,
): Promise<Frame> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		for (const frame of page.frames()) {
			try {
				if (await frame.$(`body[data-view="${view}"] #app > *`)) return frame;
			} catch {
				// detached while we looked
			}
		}
		if (Date.now() > deadline) throw new Error(`the ${view} webview did not appear`);
		await page.waitForTimeout(250);
	}
}

export async function activeTabTitle(page: Page): Promise<string> {
	return (await page.locator('.tab.active').first().textContent()) ?? '';
}
