import type { Histogram, Labels } from './registry.js';

/**
 * `target` with every method that returns a promise timed into `histogram`
 * under `operation` = the method's name (and `labels`): the seconds until the
 * promise settles, success or failure. Methods run with `target` itself as
 * `this`, so classes with private fields keep working; other properties pass through.
 */
export function timedCalls<T extends object>(target: T, histogram: Histogram, labels: Labels = {}): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      let timed = wrapped.get(property);
      if (timed === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        timed = (...args: unknown[]): unknown => {
          const started = process.hrtime.bigint();
          const result = method.apply(object, args);
          if (!(result instanceof Promise)) return result;
          const observe = (): void => histogram.observe({ ...labels, operation: property }, Number(process.hrtime.bigint() - started) / 1e9);
          result.then(observe, observe);
          return result;
        };
        wrapped.set(property, timed);
      }
      return timed;
    },
  });
}
