// Who publishes the installers: the organisation that builds them, not this repository. package.json
// and electron-builder.yml carry `.invalid` placeholders (never a real address of somebody else);
// the organisation's build sets its own through the environment, and `npm run dist`
// (scripts/dist.ts) hands them to electron-builder as -c.… overrides, so nothing in git changes:
//
//   DESK_HOMEPAGE    https://intranet.example.fr/notification-desk   (the deb's Homepage:)
//   DESK_MAINTAINER  "Service informatique <it-desk@example.fr>"     (the deb's Maintainer:, the app's author)
//   DESK_VENDOR      "Example SA"                                    (the deb's Vendor:, optional)
//
// Bad values are refused before anything is built; placeholders left in place are only warned
// about (a test build is fine with them, a deployed one is not).

export interface BuildIdentity {
  /** electron-builder command-line overrides (`-c.path=value`). */
  args: string[];
  /** The same overrides as a configuration object (for electron-builder's API and the tests). */
  config: { extraMetadata?: { homepage?: string; author?: { name: string; email: string } }; linux?: { maintainer?: string; vendor?: string } };
  warnings: string[];
}

export class BuildIdentityError extends Error {}

const maintainerPattern = /^([^<>\n]+?)\s*<([^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)>$/;

export function buildIdentity(env: Record<string, string | undefined>): BuildIdentity {
  const args: string[] = [];
  const config: BuildIdentity['config'] = {};
  const warnings: string[] = [];
  const homepage = env.DESK_HOMEPAGE?.trim();
  if (homepage) {
    let url: URL;
    try {
      url = new URL(homepage);
    } catch {
      throw new BuildIdentityError(`DESK_HOMEPAGE is not an address: ${homepage}`);
    }
    if (url.protocol !== 'https:') throw new BuildIdentityError(`DESK_HOMEPAGE must be an https:// address: ${homepage}`);
    config.extraMetadata = { ...config.extraMetadata, homepage: url.href };
    args.push(`-c.extraMetadata.homepage=${url.href}`);
  } else {
    warnings.push('DESK_HOMEPAGE not set: the deb keeps the placeholder https://notification-desk.invalid/');
  }
  const maintainer = env.DESK_MAINTAINER?.trim();
  if (maintainer) {
    const parsed = maintainerPattern.exec(maintainer);
    if (!parsed) throw new BuildIdentityError(`DESK_MAINTAINER must read "Name <address@domain>": ${maintainer}`);
    const [, name, email] = parsed as unknown as [string, string, string];
    config.extraMetadata = { ...config.extraMetadata, author: { name, email } };
    config.linux = { ...config.linux, maintainer: `${name} <${email}>` };
    args.push(`-c.extraMetadata.author.name=${name}`, `-c.extraMetadata.author.email=${email}`, `-c.linux.maintainer=${name} <${email}>`);
  } else {
    warnings.push('DESK_MAINTAINER not set: the deb keeps the placeholder support@notification-desk.invalid');
  }
  const vendor = env.DESK_VENDOR?.trim();
  if (vendor) {
    if (/[\n<>]/.test(vendor)) throw new BuildIdentityError(`DESK_VENDOR must be a plain name: ${vendor}`);
    config.linux = { ...config.linux, vendor };
    args.push(`-c.linux.vendor=${vendor}`);
  }
  return { args, config, warnings };
}
