// The dictionary of the agent's language, and the date/number formatting that goes with it.

import type { Locale } from '../../../contract/errors.ts';
import { knownChannels, type KnownChannel } from '../../../contract/model.ts';
import { useSettingsStore } from '../store/settings.ts';
import { en } from './en.ts';
import { fr, type Dictionary } from './fr.ts';

export type { Dictionary };

export const dictionaries: Record<Locale, Dictionary> = { fr, en };

export function dictionaryOf(locale: Locale): Dictionary {
  return dictionaries[locale];
}

/** The language shown before settings are read, and whenever they say nothing else. */
export const defaultLocale: Locale = 'fr';

export function useLocale(): Locale {
  return useSettingsStore((s) => s.settings?.locale ?? defaultLocale);
}

export function useT(): Dictionary {
  return dictionaries[useLocale()];
}

/** The locale outside React (store actions building a toast). */
export function currentLocale(): Locale {
  return useSettingsStore.getState().settings?.locale ?? defaultLocale;
}

export function currentT(): Dictionary {
  return dictionaries[currentLocale()];
}

function isKnownChannel(channel: string): channel is KnownChannel {
  return (knownChannels as readonly string[]).includes(channel);
}

/** Well-known channels get their word; free text typed elsewhere is shown as is. */
export function channelLabel(t: Dictionary, channel: string): string {
  return isKnownChannel(channel) ? t.channels[channel] : channel;
}
