// @ts-check
import { h } from '../dom.js';

/** @param {HTMLElement} main */
export async function render(main) {
  main.replaceChildren(h('h1', {}, 'registry'));
}
