import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { expect } from 'vitest';

/** What a report looks like in headless Chromium at one viewport width. */
export interface ReportView {
  readonly width: number;
  /** Console errors and uncaught page errors. */
  readonly errors: readonly string[];
  /** Requests to anything but the file itself. */
  readonly fetched: readonly string[];
  /** The document's scroll width: more than `width` means a horizontal scroll bar. */
  readonly scrollWidth: number;
  /** Every chart's rendered box, how many marks it draws, and whether it pokes out of the viewport. */
  readonly charts: readonly { w: number; h: number; marks: number; right: number; cls: string }[];
  /** Widths of the black-hole bars in the failover timelines. */
  readonly holes: readonly number[];
  /** A full-page PNG. */
  readonly screenshot: Buffer;
}

/**
 * Opens a report in the Debian Chromium (`/usr/bin/chromium`) through playwright-core, once per
 * width, with a fresh profile (Playwright passes it as --user-data-dir).
 */
export async function viewReport(file: string, widths: readonly number[]): Promise<ReportView[]> {
  const profile = await mkdtemp(path.join(tmpdir(), 'l2pop-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const views: ReportView[] = [];
    for (const width of widths) {
      const page = await browser.newPage();
      await page.setViewportSize({ width, height: 900 });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${file}`, { waitUntil: 'load' });
      const scrollWidth = await page.$eval('html', (e) => e.scrollWidth);
      const charts = await page.$$eval('svg.chart', (svgs) =>
        svgs.map((s) => {
          const box = s.getBoundingClientRect();
          const marks = s.querySelectorAll('rect, line.apply').length;
          return { w: box.width, h: box.height, marks, right: box.right, cls: s.getAttribute('class') ?? '' };
        }),
      );
      const holes = await page.$$eval('svg.timeline rect.hole', (rs) =>
        rs.map((r) => r.getBoundingClientRect().width),
      );
      const screenshot = await page.screenshot({ fullPage: true });
      views.push({
        width,
        errors,
        fetched: requests.filter((u) => !u.startsWith('file://')),
        scrollWidth,
        charts,
        holes,
        screenshot,
      });
      await page.close();
    }
    return views;
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
  }
}

/**
 * The report as a reader sees it at one width: no error, nothing fetched, no horizontal scroll,
 * `charts` charts each drawn with a size and marks inside the viewport, black-hole bars drawn,
 * and a full-page screenshot exactly as wide as the viewport (nothing overflowed it).
 */
export function expectReportFits(view: ReportView, charts: number): void {
  const at = `${view.width} px`;
  expect(view.errors, at).toEqual([]);
  expect(view.fetched, at).toEqual([]);
  expect(view.scrollWidth, at).toBeLessThanOrEqual(view.width);
  expect(view.charts.length, at).toBe(charts);
  for (const c of view.charts) {
    expect(c.w, at).toBeGreaterThan(100);
    expect(c.h, at).toBeGreaterThan(100);
    expect(c.marks, at).toBeGreaterThan(0);
    expect(c.right, at).toBeLessThanOrEqual(view.width);
  }
  expect(view.holes.length, at).toBeGreaterThan(10);
  expect(
    view.holes.every((w) => w > 0),
    at,
  ).toBe(true);
  expect(view.screenshot.subarray(1, 4).toString(), at).toBe('PNG');
  expect(view.screenshot.readUInt32BE(16), at).toBe(view.width);
}
