"""Print the README's settings table from reputation.settings.SETTINGS (one place per concept)."""

from reputation.settings import SETTINGS, env_name


def main() -> None:
    print("| setting | default | environment | meaning |")
    print("|---|---|---|---|")
    for s in SETTINGS:
        default = "(secret)" if s.secret else f"`{s.default}`" if s.default != "" else "(empty)"
        env = " / ".join(f"`{e}`" for e in (env_name(s.name), *s.env_aliases))
        if s.secret:
            env += f" / `{env_name(s.name)}_FILE`"
        print(f"| `{s.name}` | {default} | {env} | {s.help} |")


if __name__ == "__main__":
    main()
