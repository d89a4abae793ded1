import fs from 'node:fs';
import type * as Contract from '@cqrs-shop/events';

describe('the event contract', () => {
  it('has no side effects on import: no file is read and no Avro library is loaded', () => {
    const reads = [jest.spyOn(fs, 'readFileSync'), jest.spyOn(fs, 'readdirSync')];
    jest.isolateModules(() => {
      jest.doMock('avsc', () => {
        throw new Error('the contract loaded avsc');
      });
      const contract = jest.requireActual<typeof Contract>('@cqrs-shop/events');
      expect(contract.EVENT_AGGREGATE_TYPES.OrderPlaced).toBe('order');
    });
    for (const read of reads) expect(read).not.toHaveBeenCalled();
    for (const read of reads) read.mockRestore();
  });
});
