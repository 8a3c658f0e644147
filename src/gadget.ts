/**
 * Every beamline component is a Gadget. The class keeps one registry of live
 * gadgets so any class can list its own instances (subclasses included)
 * without anybody maintaining a global list by hand.
 */
export class Gadget {
  private static registry = new Map<string, Gadget>();

  readonly name: string;
  userLevel: number;

  constructor(opts: { name: string; userLevel?: number }) {
    const name = opts?.name;
    if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`a gadget needs a name made of letters, digits and _ (got ${JSON.stringify(name)})`);
    }
    if (Gadget.registry.has(name)) {
      throw new Error(`a gadget named '${name}' already exists`);
    }
    this.name = name;
    this.userLevel = opts.userLevel ?? 1;
    Gadget.registry.set(name, this);
  }

  /** Every live instance of the class this is called on, subclasses included. */
  static getInstances<T extends Gadget>(this: abstract new (...args: never[]) => T): T[] {
    return [...Gadget.registry.values()].filter((g): g is T => g instanceof this);
  }

  static byName(name: string): Gadget | undefined {
    return Gadget.registry.get(name);
  }

  /** Removes this gadget from the registry, freeing its name. */
  dispose(): void {
    if (Gadget.registry.get(this.name) === this) Gadget.registry.delete(this.name);
  }

  toString(): string {
    return `${this.constructor.name}(${this.name})`;
  }
}
