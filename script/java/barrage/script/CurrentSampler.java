package barrage.script;

/** {@code sampler}: the sampler whose element runs (its name; HTTP details in a later step). */
public final class CurrentSampler {
  private final String name;

  public CurrentSampler(String name) { this.name = name; }

  public String getName() { return name; }

  @Override
  public String toString() { return name; }
}
