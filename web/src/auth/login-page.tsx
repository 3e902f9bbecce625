import {
  Alert,
  Box,
  Button,
  Group,
  List,
  Paper,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  ThemeIcon,
  Title,
} from '@mantine/core';
import { IconAlertCircle, IconCheck } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { useApi } from '../api/context.js';
import type { Session } from '../api/types.js';
import { isLocale, readSavedLocale } from '../i18n/index.js';
import { LanguageMenu } from '../i18n/language-menu.js';
import { saveProfileLocale } from '../i18n/use-locale.js';
import { BrandMark } from '../shell/brand.js';
import { ColorSchemeToggle } from '../shell/color-scheme-toggle.js';
import { fieldErrorsOf, isEmail, messageOf } from '../ui/errors.js';
import classes from './login.module.css';
import { SESSION_KEY, useLogin, useSession } from './session.js';

interface FieldErrors {
  email?: string;
  password?: string;
}

export function LoginPage() {
  const { t } = useTranslation();
  const { data: session } = useSession();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';

  useEffect(() => {
    document.title = t('app.pageTitle', { page: t('login.submit') });
  }, [t]);

  if (session) return <Navigate to={from} replace />;

  return (
    <div className={classes.page}>
      <header className={classes.header}>
        <Group gap={10}>
          <BrandMark />
          <Text component="span" fw={700} fz="lg">
            {t('app.name')}
          </Text>
        </Group>
        <Group gap={4}>
          <LanguageMenu />
          <ColorSchemeToggle />
        </Group>
      </header>
      <main className={classes.main} id="main-content">
        <Paper className={classes.card} shadow="md" p={0}>
          <Box className={classes.intro} visibleFrom="md">
            <Text c="white" fz="1.5rem" fw={650} lh={1.3}>
              {t('app.tagline')}
            </Text>
            <List
              mt="xl"
              spacing="md"
              c="white"
              aria-label={t('login.pointsLabel')}
              icon={
                <ThemeIcon color="white" c="brand.8" radius="xl" size={22}>
                  <IconCheck size={14} stroke={3} aria-hidden />
                </ThemeIcon>
              }
            >
              <List.Item>{t('login.point1')}</List.Item>
              <List.Item>{t('login.point2')}</List.Item>
              <List.Item>{t('login.point3')}</List.Item>
            </List>
          </Box>
          <Box className={classes.form}>
            <LoginForm redirectTo={from} />
          </Box>
        </Paper>
        <Text size="sm" c="dimmed" ta="center" mt="lg">
          {t('login.footer')}
        </Text>
      </main>
    </div>
  );
}

function LoginForm({ redirectTo }: { redirectTo: string }) {
  const { t } = useTranslation();
  const api = useApi();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const login = useLogin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);

  function validate(): FieldErrors {
    const next: FieldErrors = {};
    if (!email.trim()) next.email = t('errors.required');
    else if (!isEmail(email)) next.email = t('errors.emailInvalid');
    if (!password) next.password = t('errors.required');
    return next;
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const next = validate();
    setErrors(next);
    if (next.email) return emailRef.current?.focus();
    if (next.password) return passwordRef.current?.focus();
    login.mutate(
      { email: email.trim(), password },
      {
        onSuccess: (session) => {
          void syncLocale(session);
          navigate(redirectTo, { replace: true });
        },
        onError: (error) => {
          setErrors(fieldErrorsOf(error, t));
          setPassword('');
          passwordRef.current?.focus();
        },
      },
    );
  }

  // A language chosen before signing in is the user's explicit choice: carry it into the profile.
  async function syncLocale(session: Session) {
    const saved = readSavedLocale();
    if (!isLocale(saved) || saved === session.user.locale) return;
    try {
      const user = await saveProfileLocale(api, saved);
      queryClient.setQueryData<Session | null>(SESSION_KEY, (old) => (old ? { ...old, user } : old));
    } catch {
      // Not worth interrupting the sign-in; the next explicit switch saves it again.
    }
  }

  return (
    <form onSubmit={submit} noValidate aria-labelledby="login-title">
      <Stack gap="lg">
        <div>
          <Title order={1} id="login-title" fz="1.6rem">
            {t('login.title')}
          </Title>
          <Text c="dimmed" size="sm" mt={6}>
            {t('login.subtitle')}
          </Text>
        </div>
        {login.isError ? (
          <Alert
            color="red"
            variant="light"
            icon={<IconAlertCircle aria-hidden />}
            title={t('login.failed')}
            role="alert"
          >
            {messageOf(login.error, t)}
          </Alert>
        ) : null}
        <TextInput
          ref={emailRef}
          label={t('login.email')}
          placeholder={t('login.emailPlaceholder')}
          type="email"
          name="email"
          autoComplete="username"
          inputMode="email"
          required
          size="md"
          value={email}
          error={errors.email}
          onChange={(e) => setEmail(e.currentTarget.value)}
        />
        <PasswordInput
          ref={passwordRef}
          label={t('login.password')}
          name="password"
          autoComplete="current-password"
          required
          size="md"
          value={password}
          error={errors.password}
          onChange={(e) => setPassword(e.currentTarget.value)}
        />
        <Button type="submit" size="md" fullWidth loading={login.isPending}>
          {t('login.submit')}
        </Button>
      </Stack>
    </form>
  );
}
