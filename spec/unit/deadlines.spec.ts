import { asyncScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

import { Deadlines } from '../../lib/internal/deadlines.js';

const virtual = (): TestScheduler => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('Deadlines', () => {
  it('fires each timeout after its duration, in the order they were set', () =>
    virtual().run(({ flush }) => {
      const deadlines = new Deadlines(10);
      const fired: [string, number][] = [];
      const note = (name: string) => (): void => void fired.push([name, asyncScheduler.now()]);
      deadlines.add(note('a'));
      asyncScheduler.schedule(() => {
        deadlines.add(note('b'));
        deadlines.add(note('c'));
      }, 4);
      flush();
      expect(fired).toEqual([
        ['a', 10],
        ['b', 14],
        ['c', 14],
      ]);
    }));

  it('skips cancelled timeouts and schedules nothing once none is pending', () =>
    virtual().run(({ flush }) => {
      const deadlines = new Deadlines(5);
      const fired: string[] = [];
      const cancelA = deadlines.add(() => fired.push('a'));
      deadlines.add(() => fired.push('b'));
      cancelA();
      cancelA(); // idempotent
      flush();
      expect(fired).toEqual(['b']);
      const cancelC = deadlines.add(() => fired.push('c'));
      cancelC(); // the last pending one: the scheduled action is cancelled too
      flush();
      expect(fired).toEqual(['b']);
    }));

  it('keeps working across idle periods', () =>
    virtual().run(({ flush }) => {
      const deadlines = new Deadlines(3);
      const fired: number[] = [];
      deadlines.add(() => fired.push(asyncScheduler.now()));
      flush();
      asyncScheduler.schedule(() => deadlines.add(() => fired.push(asyncScheduler.now())), 20);
      flush();
      expect(fired).toEqual([3, 26]); // added at 3 + 20, fired 3 later
    }));
});
