/**
 * Unit tests of the console's pure chart helpers (no browser, no server): one unit per axis.
 */
import { expect, test } from '@playwright/test';
import { axisLabels, axisUnit, formatValue, niceTicks } from '../apps/console/src/lib/axis';

test('a bitrate axis up to 1 Mbps prints every tick in Mbps, not 0/250/500/750/1M', () => {
  expect(axisLabels('kbps', [0, 250, 500, 750, 1000])).toEqual(['0', '0.25 Mbps', '0.50 Mbps', '0.75 Mbps', '1.00 Mbps']);
});

test('a bitrate axis below 1 Mbps stays in kbps', () => {
  expect(axisLabels('kbps', [0, 100, 200, 300, 400])).toEqual(['0', '100 kbps', '200 kbps', '300 kbps', '400 kbps']);
  expect(axisLabels('kbps', [0, 25, 50, 75, 100])).toEqual(['0', '25 kbps', '50 kbps', '75 kbps', '100 kbps']);
});

test('every label of an axis has the same unit and decimals', () => {
  for (const ticks of [
    [0, 2500, 5000, 7500, 10000],
    [0, 500, 1000, 1500, 2000],
    [0, 200, 400, 600, 800, 1000, 1200],
    [0, 5_000_000, 10_000_000],
  ]) {
    const labels = axisLabels('kbps', ticks).slice(1);
    const units = new Set(labels.map((l) => l.split(' ')[1]));
    expect(units.size, `${ticks.join('/')} -> ${labels.join('/')}`).toBe(1);
    const decimals = new Set(labels.map((l) => (l.split(' ')[0].split('.')[1] ?? '').length));
    expect(decimals.size, `${labels.join('/')}`).toBe(1);
  }
  expect(axisLabels('kbps', [0, 500, 1000, 1500, 2000])).toEqual(['0', '0.5 Mbps', '1.0 Mbps', '1.5 Mbps', '2.0 Mbps']);
  expect(axisLabels('megabytes', [0, 512, 1024, 1536])).toEqual(['0', '0.5 GB', '1.0 GB', '1.5 GB']);
  expect(axisLabels('megabytes', [0, 20, 40, 60, 80])).toEqual(['0', '20 MB', '40 MB', '60 MB', '80 MB']);
  expect(axisLabels('percent', [0, 2.5, 5, 7.5, 10])).toEqual(['0', '2.5%', '5.0%', '7.5%', '10.0%']);
  expect(axisLabels('ms', [0, 500, 1000, 1500, 2000])).toEqual(['0', '0.5 s', '1.0 s', '1.5 s', '2.0 s']);
});

test('nice y ranges: 0 to a round top, whole steps for counts', () => {
  expect(niceTicks(950, 100, 'kbps')).toEqual({ top: 1000, ticks: [0, 250, 500, 750, 1000] });
  expect(niceTicks(0, 100, 'kbps').top).toBe(100);
  // a count axis never has a tick at 0.5 connections
  const c = niceTicks(2, 4, 'count');
  expect(c.ticks.every((t) => Number.isInteger(t))).toBe(true);
  expect(c.top).toBeGreaterThanOrEqual(4);
});

test('values in legends and tooltips pick the unit that suits them', () => {
  expect(formatValue('kbps', 850)).toBe('850 kbps');
  expect(formatValue('kbps', 1234)).toBe('1.23 Mbps');
  expect(formatValue('count', 3)).toBe('3');
  expect(formatValue('percent', 4.567)).toBe('4.57%');
  expect(formatValue('kbps', null)).toBe('—');
  expect(axisUnit('kbps', 999).unit).toBe('kbps');
  expect(axisUnit('kbps', 1000).unit).toBe('Mbps');
});
