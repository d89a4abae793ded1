import { ifNoneMatchHolds } from '../src/http/conditional';

describe('If-None-Match', () => {
  it('holds for the same tag, weak or strong, alone or in a list, and for *', () => {
    expect(ifNoneMatchHolds('"1.3"', '"1.3"')).toBe(true);
    expect(ifNoneMatchHolds('W/"1.3"', '"1.3"')).toBe(true);
    expect(ifNoneMatchHolds('"1.1", "1.3" ,"2.5"', '"1.3"')).toBe(true);
    expect(ifNoneMatchHolds('*', '"1.3"')).toBe(true);
  });

  it('does not hold for another tag, a tag without quotes, or no header', () => {
    expect(ifNoneMatchHolds('"1.2"', '"1.3"')).toBe(false);
    expect(ifNoneMatchHolds('1.3', '"1.3"')).toBe(false);
    expect(ifNoneMatchHolds('"2.3"', '"1.3"')).toBe(false);
    expect(ifNoneMatchHolds(undefined, '"1.3"')).toBe(false);
    expect(ifNoneMatchHolds('', '"1.3"')).toBe(false);
  });
});
