"use client";

import { useEffect, useRef } from "react";

/**
 * Focus follows an inline confirmation: into `into` when it opens, back to `back` (the button
 * that opened it) when it closes after `returnFocus()` — on Cancel or a refusal, not when the
 * confirmed act removed the button.
 */
export function useConfirmationFocus<I extends HTMLElement, B extends HTMLElement>(confirming: boolean) {
  const into = useRef<I>(null);
  const back = useRef<B>(null);
  const refocus = useRef(false);
  useEffect(() => {
    if (confirming) into.current?.focus();
    else if (refocus.current) back.current?.focus();
    refocus.current = false;
  }, [confirming]);
  return { into, back, returnFocus: () => { refocus.current = true; } };
}
