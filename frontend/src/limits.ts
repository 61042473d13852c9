// The ticket rules' limits, read at build time from the one file that declares them (the resolvers
// enforce the same file), so the page and the server never disagree.
import limits from '../../resolvers/limits.json';

export const NOTE_MAX_LENGTH: number = limits.noteMaxLength;
