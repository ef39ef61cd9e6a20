"""Print the README's settings table from reputation.settings.SETTINGS (one place per concept)."""

from reputation.settings import SETTINGS


def main() -> None:
    print("| setting | default | environment | meaning |")
    print("|---|---|---|---|")
    for s in SETTINGS:
        default = "(secret)" if s.secret else f"`{s.default}`" if s.default != "" else "(empty)"
        env = " / ".join(f"`{e}`" for e in s.env_forms)
        print(f"| `{s.name}` | {default} | {env} | {s.help} |")


if __name__ == "__main__":
    main()
