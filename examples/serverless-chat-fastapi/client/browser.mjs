// The app's page in headless Chromium (Debian's, driven by playwright-core):
//   node browser.mjs APP_URL NAME MESSAGE
// opens APP_URL/?name=NAME, waits until the page is connected, sends MESSAGE with the page's form
// and waits until the page lists it (the app broadcasts it to every client, the page included).
// Prints `status <text>` and `message <text>` for each item the page then shows; exits 1 when
// something did not happen within 15 s. CHROMIUM is the browser (default /usr/bin/chromium).
import { chromium } from 'playwright-core';

const [url, name, text] = process.argv.slice(2);
if (!text) {
  console.error('usage: node browser.mjs APP_URL NAME MESSAGE');
  process.exit(2);
}
const WAIT_MS = 15_000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  // Chromium's own background traffic is refused on a closed network; keep it quiet.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await page.goto(`${url}/?name=${encodeURIComponent(name)}`, { timeout: WAIT_MS });
  try {
    await page.getByText(`connected as ${name}`).waitFor({ timeout: WAIT_MS });
    await page.fill('#text', text);
    await page.click('#send button');
    await page.locator('#messages li', { hasText: `${name}: ${text}` }).waitFor({ timeout: WAIT_MS });
    await page.getByText('sent message').waitFor({ timeout: WAIT_MS });
  } finally {
    console.log(`status ${await page.locator('#status').textContent()}`);
    for (const item of await page.locator('#messages li').allTextContents()) console.log(`message ${item}`);
    for (const error of errors) console.log(`page error ${error}`);
  }
} finally {
  await browser.close();
}
