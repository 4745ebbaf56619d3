import { describe, expect, it } from 'vitest';
import { addBusinessDays, businessDaysBetween, federalHolidays, holidayOn, isBusinessDay, parseDay, restoreWindow } from '../../../runners/takedown/business-days.js';

/** Observed days as OPM publishes them (opm.gov federal holidays), for years with every kind of shift. */
const OPM: Record<number, string[]> = {
  2021: ['2021-01-01', '2021-01-18', '2021-02-15', '2021-05-31', '2021-06-18', '2021-07-05', '2021-09-06', '2021-10-11', '2021-11-11', '2021-11-25', '2021-12-24', '2021-12-31'],
  2023: ['2023-01-02', '2023-01-16', '2023-02-20', '2023-05-29', '2023-06-19', '2023-07-04', '2023-09-04', '2023-10-09', '2023-11-10', '2023-11-23', '2023-12-25'],
  2026: ['2026-01-01', '2026-01-19', '2026-02-16', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-10-12', '2026-11-11', '2026-11-26', '2026-12-25'],
  2027: ['2027-01-01', '2027-01-18', '2027-02-15', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-10-11', '2027-11-11', '2027-11-25', '2027-12-24', '2027-12-31'],
};

describe('US federal holidays by rule', () => {
  it('matches the observed days OPM publishes, Saturday holidays on Friday and Sunday ones on Monday', () => {
    for (const [year, days] of Object.entries(OPM)) expect(federalHolidays(Number(year)).map((h) => h.day), year).toEqual(days);
  });

  it('puts New Year\'s Day on a Saturday in the year before (2022 observed on 31 December 2021), and none twice', () => {
    expect(holidayOn('2021-12-31')).toBe("New Year's Day");
    expect(federalHolidays(2022).map((h) => h.day)).not.toContain('2022-01-01');
    expect(federalHolidays(2022)[0]).toEqual({ day: '2022-01-17', name: 'Birthday of Martin Luther King, Jr.' });
    expect(federalHolidays(2020).some((h) => h.name.startsWith('Juneteenth'))).toBe(false);
  });

  it('counts weekends and holidays out of business days', () => {
    expect(isBusinessDay('2026-11-26')).toBe(false); // Thanksgiving
    expect(isBusinessDay('2026-11-27')).toBe(true); // the Friday after is not a federal holiday
    expect(isBusinessDay('2026-11-28')).toBe(false); // Saturday
    expect(isBusinessDay('2026-07-03')).toBe(false); // Independence Day, observed
  });

  it('reads only real calendar days', () => {
    expect(parseDay('2026-02-28')).toBe('2026-02-28');
    expect(parseDay('2028-02-29')).toBe('2028-02-29');
    for (const bad of ['2026-02-29', '2026-13-01', '26-11-20', '2026-11-20T00:00', '', '2026/11/20']) expect(parseDay(bad), bad).toBeUndefined();
  });
});

describe('the 512(g) restore window: 10 to 14 business days after receipt', () => {
  it('skips Thanksgiving', () => {
    // Received Friday 20 Nov 2026: 23, 24, 25, (26 Thanksgiving), 27, 30, 1, 2, 3, 4, 7 Dec is the 10th; 11 Dec the 14th.
    expect(restoreWindow('2026-11-20')).toEqual({ earliest: '2026-12-07', latest: '2026-12-11' });
  });

  it('skips Christmas and New Year observed on Fridays across the year end', () => {
    // Received Friday 17 Dec 2027: 20-23 (4), (24 Christmas observed), 27-30 (8), (31 New Year 2028 observed), 3 Jan (9), 4 Jan (10) … 10 Jan (14).
    expect(restoreWindow('2027-12-17')).toEqual({ earliest: '2028-01-04', latest: '2028-01-10' });
  });

  it('starts counting after the day of receipt, even one received on a weekend or a holiday', () => {
    expect(restoreWindow('2026-07-04')).toEqual({ earliest: '2026-07-17', latest: '2026-07-23' });
    expect(restoreWindow('2026-07-03')).toEqual(restoreWindow('2026-07-05'));
    expect(addBusinessDays('2026-12-31', 1)).toBe('2027-01-04');
  });

  it('counts the business days left between two days', () => {
    expect(businessDaysBetween('2026-11-20', '2026-12-07')).toBe(10);
    expect(businessDaysBetween('2026-12-07', '2026-12-07')).toBe(0);
    expect(businessDaysBetween('2026-12-08', '2026-12-07')).toBe(0);
    expect(() => addBusinessDays('2026-11-20', 0)).toThrow(RangeError);
  });
});
